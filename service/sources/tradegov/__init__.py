"""trade.gov's Consolidated Screening List (CSL): consolidated.csv and consolidated.json."""

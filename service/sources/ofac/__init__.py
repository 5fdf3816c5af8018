"""OFAC's legacy formats: the CSV set and the sdnList XML."""

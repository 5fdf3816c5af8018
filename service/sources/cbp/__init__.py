"""U.S. Customs and Border Protection."""

"""Bureau of Industry and Security (Commerce) lists: the Denied Persons List text file."""

"""One module per official list format: read the publisher's files, map them to `Entry`."""

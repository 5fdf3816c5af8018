"""In-memory indexes built once per list version; requests only look things up."""

"""`screening batch`: screen a file of parties (CSV or JSON Lines) into a results file.

- `files.py`: the input (columns -> ScreenRequest, structural checks the server cannot
  make, such as a duplicate party_reference), the output rows, and what `--resume`
  reads back from a half-written output.
- `run.py`: one `ScreenBatch` stream with a bounded number of requests in flight (or
  in-process with `--local`), results written in input order, progress, summary.
"""

"""The IR: the contract between the pipeline stages."""

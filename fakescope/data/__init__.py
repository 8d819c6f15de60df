"""Datasets on disk: layout discovery and the offline demo dataset builder."""

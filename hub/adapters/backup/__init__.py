"""The storage-specific parts of backup and restore: the sealed archive format, SQLite's
online copy, PostgreSQL's dump and restore, and the region's Object Store buckets."""

"""The logic of Runde: no HTTP here. Writes are ``<entity>_<verb>``, reads ``<entity>_get``/
``<entity>_list``, permission-checked loaders ``access_<entity>``; all keyword-only."""

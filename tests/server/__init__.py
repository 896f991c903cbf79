"""Tests of the central OA server (oa_server)."""

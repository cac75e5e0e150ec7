"""Test suite for edge (real data from ../shared/data or $EDGE_DATA_DIR)."""

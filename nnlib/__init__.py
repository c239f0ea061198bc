"""nnlib: the small NumPy neural-network library of the book."""
__version__ = "0.1.0"

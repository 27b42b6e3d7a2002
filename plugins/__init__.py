"""genpool's built-in plugins: the kernel's five allocation algorithms.

Each module is a plugin in its own right, registered through the same
``genpool_register_algorithms`` hook a third-party package implements.
"""

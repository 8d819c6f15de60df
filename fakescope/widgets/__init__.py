"""fakescope.widgets"""

"""fakescope.cli"""

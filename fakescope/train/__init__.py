"""fakescope.train"""

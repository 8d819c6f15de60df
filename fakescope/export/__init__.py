"""fakescope.export"""

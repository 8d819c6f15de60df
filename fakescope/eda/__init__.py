"""fakescope.eda"""

"""quantify"""

"""forest"""

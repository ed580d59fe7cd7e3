"""Choosers: a person picks a firm, a Meister or a supplier by name, never types an id."""

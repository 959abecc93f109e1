"""An example API resource: notes that each belong to one user."""

"""Small widgets shared by the wizard's screens."""

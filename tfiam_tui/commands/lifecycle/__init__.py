"""The day-2 commands, one module each: ``status`` now; rotation, offboarding and adoption
land here with their issues.  Each is a thin front over ``engine/lifecycle``."""

"""Running the functions on a developer's machine: ``bailian-fc dev`` serves every function of
``s.yaml`` on one port, through stand-ins for the FC platform (context, credentials, HTTP events);
``invoke`` runs one FC invocation in a fresh interpreter; a guard drops clients too slow to read.
"""

"""AWS: what the account says, asked directly with boto3, and the sandbox that stands in
for it.

* :mod:`.preflight` before anything is written: reachable, credentials usable, no name
  the plan creates already taken; :mod:`.expected` what the account should hold;
  :mod:`.verify` the checklist after apply.
* :mod:`.sandbox` starts :mod:`.moto_server` (moto, in memory, with the gaps between moto
  and the provider filled) on a free loopback port.

May import ``answers`` and the engine's shared leaves; nothing of terraform or secrets.
"""

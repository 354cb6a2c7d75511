"""Logs in with an RSA key using exactly one signature algorithm, for test/e2e/user-key-signatures.test.ts.

Usage: paramiko_rsa_sig.py PORT USER RSA_KEYFILE ALGORITHM   (ssh-rsa | rsa-sha2-256 | rsa-sha2-512)
paramiko picks its RSA signature algorithm from the server's server-sig-algs, and ISLET leaves SHA-1
`ssh-rsa` out of that list, so a well-behaved client never sends it. To see what the SERVER does with an
ssh-rsa signature, this client ignores the server's EXT_INFO and signs with the one algorithm it is told.
Prints {"ok": true, "stdout": ...} or {"ok": false, "error": ...}.
"""
import json
import sys

import paramiko
from paramiko.common import MSG_EXT_INFO

port, user, keyfile, algorithm = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
paramiko.Transport._handler_table[MSG_EXT_INFO] = lambda self, m: None
rsa_algorithms = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
try:
    client.connect("127.0.0.1", port=port, username=user, pkey=paramiko.RSAKey.from_private_key_file(keyfile),
                   look_for_keys=False, allow_agent=False, timeout=60,
                   disabled_algorithms={"pubkeys": [a for a in rsa_algorithms if a != algorithm]})
    _, out, _ = client.exec_command("echo signed-in")
    print(json.dumps({"ok": True, "stdout": out.read().decode()}))
except paramiko.AuthenticationException as e:
    print(json.dumps({"ok": False, "error": str(e)}))
finally:
    client.close()

"""paramiko (Debian's python3-paramiko) against ISLET, for test/e2e/client-matrix.test.ts.

Usage: paramiko_client.py PORT USER KEYFILE LOCAL REMOTE
Runs a command (exit status and both streams), uploads LOCAL to REMOTE over SFTP and downloads it back
to LOCAL.back; prints one JSON object. A failure raises (non-zero exit, traceback on stderr).
"""
import json
import sys

import paramiko

port, user, key, local, remote = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("127.0.0.1", port=port, username=user, key_filename=key, look_for_keys=False, allow_agent=False, timeout=60)
_, out, err = client.exec_command("echo out; echo err >&2; hostname; exit 3")
result = {"stdout": out.read().decode(), "stderr": err.read().decode(), "code": out.channel.recv_exit_status()}
sftp = client.open_sftp()
sftp.put(local, remote)
sftp.get(remote, local + ".back")
result["size"] = sftp.stat(remote).st_size
sftp.close()
client.close()
print(json.dumps(result))

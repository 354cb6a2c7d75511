"""asyncssh (Debian's python3-asyncssh) against ISLET, for test/e2e/client-matrix.test.ts.

Usage: asyncssh_client.py PORT USER KEYFILE LOCAL REMOTE
Same steps and output as paramiko_client.py.
"""
import asyncio
import json
import sys

import asyncssh


async def main(port: int, user: str, key: str, local: str, remote: str) -> dict:
    async with asyncssh.connect("127.0.0.1", port=port, username=user, client_keys=[key], known_hosts=None, agent_path=None) as conn:
        r = await conn.run("echo out; echo err >&2; hostname; exit 3")
        result = {"stdout": r.stdout, "stderr": r.stderr, "code": r.exit_status}
        async with conn.start_sftp_client() as sftp:
            await sftp.put(local, remote)
            await sftp.get(remote, local + ".back")
            result["size"] = (await sftp.stat(remote)).size
        return result


print(json.dumps(asyncio.run(asyncio.wait_for(main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]), 120))))

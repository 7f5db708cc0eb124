# The reference side of the Ansible parity suite: for each job (inventory sources + host patterns) runs
# ansible-core's own `ansible-inventory --list` code (InventoryCLI.json_inventory on a fresh InventoryManager),
# then asks that InventoryManager for host patterns the way `ansible PATTERN --list-hosts` does. One python
# process for many jobs (ansible's import is the slow part); values are tagged with their Python type.
import json
import sys

from ansible.cli import CLI
from ansible.cli.inventory import InventoryCLI
from ansible.errors import AnsibleError
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager


def tag(v):
    if v is None:
        return {"t": "null"}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        return {"t": "int", "v": str(v)}
    if isinstance(v, float):
        return {"t": "float", "v": repr(v)}
    if isinstance(v, str):
        return {"t": "str", "v": v}
    if isinstance(v, list):
        return {"t": "list", "v": [tag(x) for x in v]}
    if isinstance(v, dict):
        return {"t": "dict", "v": {str(k): tag(x) for k, x in v.items()}}
    return {"t": type(v).__name__, "v": repr(v)}


def listing(cli, sources):
    """What `ansible-inventory -i SOURCES --list` prints (InventoryCLI.run's --list branch), parsed back."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=sources)
    cli.loader, cli.inventory = loader, inventory
    cli.vm = VariableManager(loader=loader, inventory=inventory, version_info=CLI.version_info(gitinfo=False))
    return json.loads(cli.dump(cli.json_inventory(cli._get_group("all"))))


def one(cli, job):
    try:
        data = listing(cli, job["sources"])
    except AnsibleError as e:
        return {"error": str(e).splitlines()[0]}
    groups = {}
    for name, g in data.items():
        if name != "_meta":
            groups[name] = {"hosts": sorted(g.get("hosts", [])), "children": sorted(g.get("children", []))}
    hosts = {h: {} for g in groups.values() for h in g["hosts"]}
    for h, vs in data.get("_meta", {}).get("hostvars", {}).items():
        hosts[h] = {k: tag(v) for k, v in vs.items()}
    inv = cli.inventory
    selections = []
    for p in job.get("patterns", []):
        kind, text = p["kind"], p["text"]
        try:
            if kind == "limit":  # what `ansible all --limit TEXT --list-hosts` lists
                inv.subset(text)
                names = [h.name for h in inv.list_hosts("all")]
            else:  # what `ansible TEXT --list-hosts` lists (AdHocCLI.get_host_list without --limit)
                names = [h.name for h in inv.list_hosts(text)]
            selections.append({"hosts": names})
        except AnsibleError as e:
            selections.append({"error": str(e).splitlines()[0]})
        finally:
            inv.subset(None)
    return {"hosts": hosts, "groups": groups, "selections": selections}


def main():
    jobs = json.load(sys.stdin)["jobs"]
    # Parsing a command line sets ansible's global CLI context once, as `ansible-inventory --list` does.
    cli = InventoryCLI(["ansible-inventory", "--list", "-i", "localhost,"])
    cli.parse()
    print(json.dumps({"results": [one(cli, job) for job in jobs]}))


main()

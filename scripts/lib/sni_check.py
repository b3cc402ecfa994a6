#!/usr/bin/python3
"""A StatusNotifierWatcher stand-in, and a reader of the item it gets (for scripts/e2e-tray).

  sni_check.py watch FILE       own org.kde.StatusNotifierWatcher on the session bus; write each
                                registered item as "SERVICE PATH" to FILE (runs until killed)
  sni_check.py props FILE       print the item's Title, ToolTip, IconName, Status, the icon size
  sni_check.py menu FILE        print the dbusmenu layout, one "ID<TAB>DEPTH<TAB>LABEL" a line
  sni_check.py click FILE LABEL [UNDER]
                                send "clicked" to the item labelled LABEL (in the submenu whose
                                label starts with UNDER, when given)
A desktop's tray host does what `watch` does; here nothing draws the item, the test reads it.
"""

import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

WATCHER_XML = """
<node>
  <interface name="org.kde.StatusNotifierWatcher">
    <method name="RegisterStatusNotifierItem"><arg type="s" direction="in"/></method>
    <method name="RegisterStatusNotifierHost"><arg type="s" direction="in"/></method>
    <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
    <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
    <property name="ProtocolVersion" type="i" access="read"/>
    <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
    <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
    <signal name="StatusNotifierHostRegistered"/>
  </interface>
</node>
"""


def die(text):
    print(f"sni: {text}", file=sys.stderr, flush=True)
    sys.exit(1)


def watch(out):
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    items = []
    node = Gio.DBusNodeInfo.new_for_xml(WATCHER_XML)

    def on_call(conn, sender, path, iface, method, params, invocation):
        if method == "RegisterStatusNotifierItem":
            arg = params.unpack()[0]
            service, obj = (sender, arg) if arg.startswith("/") else (arg, "/StatusNotifierItem")
            items.append(f"{service}{obj}")
            with open(out, "a") as f:
                f.write(f"{service} {obj}\n")
            conn.emit_signal(None, path, iface, "StatusNotifierItemRegistered",
                             GLib.Variant("(s)", (f"{service}{obj}",)))
        invocation.return_value(None)

    def on_get(conn, sender, path, iface, prop):
        return {
            "RegisteredStatusNotifierItems": GLib.Variant("as", items),
            "IsStatusNotifierHostRegistered": GLib.Variant("b", True),
            "ProtocolVersion": GLib.Variant("i", 0),
        }[prop]

    bus.register_object("/StatusNotifierWatcher", node.interfaces[0], on_call, on_get, None)
    Gio.bus_own_name_on_connection(bus, "org.kde.StatusNotifierWatcher",
                                   Gio.BusNameOwnerFlags.NONE, None, None)
    GLib.MainLoop().run()


def item(file):
    try:
        lines = [line.split() for line in open(file) if line.strip()]
    except OSError as e:
        die(f"no registration file: {e}")
    if not lines:
        die("no item registered with the watcher")
    service, path = lines[-1]
    bus = Gio.bus_get_sync(Gio.BusType.SESSION)
    return bus, service, path


def prop(bus, service, path, name):
    reply = bus.call_sync(service, path, "org.freedesktop.DBus.Properties", "Get",
                          GLib.Variant("(ss)", ("org.kde.StatusNotifierItem", name)),
                          GLib.VariantType.new("(v)"), Gio.DBusCallFlags.NONE, 5000, None)
    return reply.unpack()[0]


def props(file):
    bus, service, path = item(file)
    tip = prop(bus, service, path, "ToolTip")  # (icon name, icon pixmaps, title, description)
    pixmaps = prop(bus, service, path, "IconPixmap")
    size = f"{pixmaps[0][0]}x{pixmaps[0][1]}" if pixmaps else "none"
    print(f"Title={prop(bus, service, path, 'Title')}")
    print(f"IconName={prop(bus, service, path, 'IconName')}")
    print(f"Status={prop(bus, service, path, 'Status')}")
    print(f"IconPixmap={size}")
    print(f"ToolTipTitle={tip[2]}")
    print("ToolTipText=" + tip[3].replace("\n", " | "))


def layout(file):
    bus, service, path = item(file)
    menu = prop(bus, service, path, "Menu")
    reply = bus.call_sync(service, menu, "com.canonical.dbusmenu", "GetLayout",
                          GLib.Variant("(iias)", (0, -1, [])), None,
                          Gio.DBusCallFlags.NONE, 5000, None)
    _, root = reply.unpack()
    rows = []

    def walk(node, depth, parent):
        ident, properties, children = node
        label = properties.get("label", "")
        if ident != 0:
            rows.append((ident, depth, label, parent))
        for child in children:
            walk(child, depth + 1, label if ident != 0 else "")

    walk(root, 0, "")
    return bus, service, menu, rows


def menu(file):
    _, _, _, rows = layout(file)
    for ident, depth, label, _ in rows:
        print(f"{ident}\t{depth}\t{label}")


def click(file, label, under=None):
    bus, service, menu_path, rows = layout(file)
    found = [r for r in rows if r[2] == label and (under is None or r[3].startswith(under))]
    if len(found) != 1:
        die(f"{len(found)} menu items labelled {label!r} (under {under!r}): {rows}")
    bus.call_sync(service, menu_path, "com.canonical.dbusmenu", "Event",
                  GLib.Variant("(isvu)", (found[0][0], "clicked", GLib.Variant("s", ""), 0)),
                  None, Gio.DBusCallFlags.NONE, 5000, None)
    print(f"clicked {label!r}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "watch":
        watch(args[1])
    elif len(args) == 2 and args[0] == "props":
        props(args[1])
    elif len(args) == 2 and args[0] == "menu":
        menu(args[1])
    elif len(args) in (3, 4) and args[0] == "click":
        click(*args[1:])
    else:
        die(__doc__)

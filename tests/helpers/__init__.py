"""Helpers shared by the tests, imported one way: ``from tests.helpers.<module> import <name>``.

- central_double: a loopback double of central (CentralDouble, DoubleProcess)
- sync_helpers: configs and enrolled stores for the device-side sync tests
- fault_proxy: a TCP proxy that injects network faults between a device and central
- cups_peer: a private CUPS server for the printer tests
- processes: ``terminal`` command lines and free loopback ports for subprocess tests
"""

# kvm/virtio + kvm/net: virtio-pci transport, devices and net backends
# (their contract with the VM core is kvm/vmm.h). Sources join libkvm.a.
libkvm_a_SOURCES += kvm/virtio/devices.c

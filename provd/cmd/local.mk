# provd/cmd: the CLI, daemon wiring and build-vm orchestration. Uses everything.
# Each module's local.mk defines its *_A variable (archive plus external libs);
# the link order below follows the dependency arrows (users before providers).
bin_PROGRAMS += provd/provd
provd_provd_SOURCES = provd/cmd/main.c provd/cmd/cli.h \
	provd/cmd/cli_common.c provd/cmd/cli_obj.c provd/cmd/cli_obj.h provd/cmd/cli_init.c \
	provd/cmd/cli_distro.c provd/cmd/cli_profile.c provd/cmd/cli_system.c provd/cmd/cli_check.c \
	provd/cmd/cli_events.c \
	provd/cmd/cli_serve.c provd/cmd/daemon.c provd/cmd/daemon.h \
	provd/cmd/cli_vm.c provd/cmd/cli_build_vm.c provd/cmd/build.c provd/cmd/build.h provd/cmd/hv_qemu.c provd/cmd/hv_builtin.c provd/cmd/hv_spawn.c provd/cmd/hypervisor.h \
	provd/cmd/cli_import.c provd/cmd/import_parse.c provd/cmd/import_parse.h provd/cmd/cli_sync.c provd/cmd/cli_render.c
provd_provd_LDADD = $(HTTP_A) $(DHCP_A) $(TFTP_A) $(CORE_A) $(KVM_A) $(BASE_A)

# templates: shipped templates, installed under $(pkgdatadir)/templates.
# An admin's copy in <state>/templates/NAME wins over these.
nobase_dist_pkgdata_DATA += \
	templates/preseed/debian.cfg \
	templates/kickstart/fedora.ks \
	templates/debootstrap/debian.sh \
	templates/pxelinux/default.cfg \
	templates/pxelinux/system.cfg \
	templates/ipxe/boot.ipxe \
	templates/grub/grub.cfg \
	templates/snippets/callback_start \
	templates/snippets/callback_done \
	templates/snippets/ssh_keys \
	templates/snippets/network

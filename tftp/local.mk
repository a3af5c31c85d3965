# tftp: TFTP root rendering and supervision of tftp-hpa's in.tftpd.
# Uses base and core.
noinst_LIBRARIES += libtftp.a
libtftp_a_SOURCES = \
	tftp/tree.c tftp/tree.h \
	tftp/supervise.c tftp/supervise.h
libtftp_a_CFLAGS = $(AM_CFLAGS)
TFTP_A = libtftp.a

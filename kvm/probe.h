/*
 * kvm/probe.h - is /dev/kvm able to run ordinary guests at useful speed?
 *
 * kvm_pvm (on some build machines) accepts the KVM API but emulates guest
 * kernel-mode code at ~1.5 M instructions/s, so a Linux guest would appear
 * to hang. The probe runs a tiny CPL0 loop and measures its speed.
 */
#ifndef PROVD_KVM_PROBE_H
#define PROVD_KVM_PROBE_H

/* below this, refuse: kvm_pvm measured 0.44-1.5 M instructions/s; the
 * nested test rig (KVM inside a TCG guest) 26-42 M on a loaded 2-core host,
 * hardware virtualisation several hundred M */
#define KVM_PROBE_MIN_IPS 10e6

/*
 * Returns 0 when the KVM runs guests fast enough, else a negative errno
 * with *why set to a sentence naming the cause. *ips receives the measured
 * guest instructions per second (0 if none ran).
 */
int kvm_probe(const char *dev, double *ips, const char **why);

#endif

#ifndef KCDCTL_CLDAP_SHIM_H
#define KCDCTL_CLDAP_SHIM_H
#include <ldap.h>
#include <lber.h>

// LDAP_OPT_ON is the address of a global, which neither imports into Swift nor may be touched
// from Swift 6 code directly.
static inline void *kcd_ldap_opt_on(void) { return LDAP_OPT_ON; }

#endif

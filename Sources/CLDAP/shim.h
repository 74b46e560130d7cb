#ifndef KCDCTL_CLDAP_SHIM_H
#define KCDCTL_CLDAP_SHIM_H
#include <ldap.h>
#include <lber.h>
#include <sasl/sasl.h>

// LDAP_OPT_ON is the address of a global, which neither imports into Swift nor may be touched
// from Swift 6 code directly.
static inline void *kcd_ldap_opt_on(void) { return LDAP_OPT_ON; }

// A static empty C string: what the SASL interaction callback hands back, valid for the whole bind.
static inline const char *kcd_empty_string(void) { return ""; }

#endif

#ifndef KCDCTL_CKRB5_SHIM_H
#define KCDCTL_CKRB5_SHIM_H
#include <krb5.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#endif

#ifndef KCDCTL_CKRB5_SHIM_H
#define KCDCTL_CKRB5_SHIM_H
#include <krb5.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

// MIT libkrb5 exports the S4U calls (kvno -U/-P uses them) but declares them only in its private
// headers; these prototypes match krb5 1.20's k5-int.h.
krb5_error_code KRB5_CALLCONV
krb5_get_credentials_for_user(krb5_context context, krb5_flags options, krb5_ccache ccache,
                              krb5_creds *in_creds, krb5_data *cert, krb5_creds **out_creds);

krb5_error_code KRB5_CALLCONV
krb5_get_credentials_for_proxy(krb5_context context, krb5_flags options, krb5_ccache ccache,
                               krb5_creds *in_creds, krb5_ticket *evidence_tkt, krb5_creds **out_creds);
#endif

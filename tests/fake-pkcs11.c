/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test fixture only: a PKCS#11 module with one token holding one P-256
 * key pair (made at C_Initialize), that misbehaves on request, for what
 * SoftHSM2 never does (tests/cli-hsm.sh):
 *   FAKE_NSLOTS=N      N slots with a token; the key's token ("fake") is in the last
 *   FAKE_LABEL=S       the key's token label (default "fake")
 *   FAKE_QUERYLEN=N    C_Sign(NULL) answers N bytes
 *   FAKE_SIGLEN=N      C_Sign with a buffer claims it wrote N bytes
 * Any PIN logs in. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <p11-kit/pkcs11.h>

static EVP_PKEY *key;
static CK_OBJECT_CLASS searching;
static CK_FUNCTION_LIST functions;

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v ? strtol(v, NULL, 0) : dflt;
}

static CK_RV not_supported(void)
{
	return CKR_FUNCTION_NOT_SUPPORTED;
}

static CK_RV initialize(CK_VOID_PTR args)
{
	(void)args;
	if (!key)
		key = EVP_EC_gen("P-256");
	return key ? CKR_OK : CKR_GENERAL_ERROR;
}

static CK_RV finalize(CK_VOID_PTR reserved)
{
	(void)reserved;
	EVP_PKEY_free(key);
	key = NULL;
	return CKR_OK;
}

static CK_RV get_info(CK_INFO_PTR info)
{
	memset(info, ' ', sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	info->flags = 0;
	info->libraryVersion.major = 1;
	info->libraryVersion.minor = 0;
	return CKR_OK;
}

static CK_RV get_slot_list(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_ULONG n = (CK_ULONG)env_long("FAKE_NSLOTS", 1);

	(void)present;
	if (list && *count < n) {
		*count = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (CK_ULONG i = 0; list && i < n; i++)
		list[i] = 100 + i;
	*count = n;
	return CKR_OK;
}

static CK_RV get_slot_info(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info)
{
	(void)slot;
	memset(info, ' ', sizeof(*info));
	info->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	const char *label = getenv("FAKE_LABEL") ? getenv("FAKE_LABEL") : "fake";

	if (slot != 100 + (CK_SLOT_ID)env_long("FAKE_NSLOTS", 1) - 1)
		label = "other";
	memset(info, ' ', sizeof(*info));
	memcpy(info->label, label, strlen(label) < sizeof(info->label) ? strlen(label) : sizeof(info->label));
	info->flags = CKF_TOKEN_INITIALIZED | CKF_LOGIN_REQUIRED;
	return CKR_OK;
}

static CK_RV open_session(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
			  CK_SESSION_HANDLE_PTR session)
{
	(void)slot, (void)flags, (void)app, (void)notify;
	*session = 1;
	return CKR_OK;
}

static CK_RV close_session(CK_SESSION_HANDLE session)
{
	(void)session;
	return CKR_OK;
}

static CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE type, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	(void)session, (void)type, (void)pin, (void)len;
	return CKR_OK;
}

static CK_RV logout(CK_SESSION_HANDLE session)
{
	(void)session;
	return CKR_OK;
}

static CK_RV find_init(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	(void)session;
	searching = CKO_DATA;
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == CKA_CLASS && t[i].ulValueLen == sizeof(CK_OBJECT_CLASS))
			memcpy(&searching, t[i].pValue, sizeof(searching));
	return CKR_OK;
}

static CK_RV find(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR found, CK_ULONG max, CK_ULONG_PTR n)
{
	(void)session;
	*n = 0;
	if (max > 0 && (searching == CKO_PRIVATE_KEY || searching == CKO_PUBLIC_KEY)) {
		found[0] = searching == CKO_PRIVATE_KEY ? 1 : 2;
		*n = 1;
	}
	searching = CKO_DATA;
	return CKR_OK;
}

static CK_RV find_final(CK_SESSION_HANDLE session)
{
	(void)session;
	return CKR_OK;
}

static CK_RV get_attributes(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	static const unsigned char params[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	unsigned char point[2 + 65], id[1] = { 7 };
	CK_KEY_TYPE type = CKK_EC;
	CK_BBOOL no = CK_FALSE;
	size_t plen = 0;
	CK_RV rv = CKR_OK;

	(void)session, (void)o;
	point[0] = 0x04;
	point[1] = 65;
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point + 2, 65, &plen) != 1 ||
	    plen != 65)
		return CKR_GENERAL_ERROR;
	for (CK_ULONG i = 0; i < n; i++) {
		const void *v;
		CK_ULONG l;

		switch (t[i].type) {
		case CKA_KEY_TYPE: v = &type; l = sizeof(type); break;
		case CKA_ID: v = id; l = sizeof(id); break;
		case CKA_EC_POINT: v = point; l = sizeof(point); break;
		case CKA_EC_PARAMS: v = params; l = sizeof(params); break;
		case CKA_ALWAYS_AUTHENTICATE: v = &no; l = sizeof(no); break;
		default:
			t[i].ulValueLen = (CK_ULONG)-1;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
			continue;
		}
		if (t[i].pValue && t[i].ulValueLen < l) {
			t[i].ulValueLen = (CK_ULONG)-1;
			rv = CKR_BUFFER_TOO_SMALL;
			continue;
		}
		if (t[i].pValue)
			memcpy(t[i].pValue, v, l);
		t[i].ulValueLen = l;
	}
	return rv;
}

static CK_RV sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE o)
{
	(void)session, (void)o;
	return mech->mechanism == CKM_ECDSA ? CKR_OK : CKR_MECHANISM_INVALID;
}

static CK_RV sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len)
{
	unsigned char der[80];
	const unsigned char *p = der;
	size_t der_len = sizeof(der);
	EVP_PKEY_CTX *ctx;
	ECDSA_SIG *es;

	(void)session;
	if (!sig) {
		*sig_len = (CK_ULONG)env_long("FAKE_QUERYLEN", 64);
		return CKR_OK;
	}
	if (*sig_len < 64)
		return CKR_BUFFER_TOO_SMALL;
	ctx = EVP_PKEY_CTX_new(key, NULL);
	if (!ctx || EVP_PKEY_sign_init(ctx) != 1 || EVP_PKEY_sign(ctx, der, &der_len, data, len) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return CKR_GENERAL_ERROR;
	}
	EVP_PKEY_CTX_free(ctx);
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!es)
		return CKR_GENERAL_ERROR;
	BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, 32);
	BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + 32, 32);
	ECDSA_SIG_free(es);
	*sig_len = (CK_ULONG)env_long("FAKE_SIGLEN", 64);
	return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	CK_RV (**f)(void) = (CK_RV (**)(void))&functions.C_Initialize;

	for (size_t i = 0; i < (sizeof(functions) - sizeof(functions.version)) / sizeof(*f); i++)
		f[i] = not_supported;
	functions.version.major = 2;
	functions.version.minor = 40;
	functions.C_Initialize = initialize;
	functions.C_Finalize = finalize;
	functions.C_GetInfo = get_info;
	functions.C_GetSlotList = get_slot_list;
	functions.C_GetSlotInfo = get_slot_info;
	functions.C_GetTokenInfo = get_token_info;
	functions.C_OpenSession = open_session;
	functions.C_CloseSession = close_session;
	functions.C_Login = login;
	functions.C_Logout = logout;
	functions.C_FindObjectsInit = find_init;
	functions.C_FindObjects = find;
	functions.C_FindObjectsFinal = find_final;
	functions.C_GetAttributeValue = get_attributes;
	functions.C_SignInit = sign_init;
	functions.C_Sign = sign;
	*list = &functions;
	return CKR_OK;
}

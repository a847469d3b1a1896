/* config: the command line, as main() hands it to the workers. */
#ifndef LOGIN_MASK_CONFIG_H
#define LOGIN_MASK_CONFIG_H

#define KEYS_MAX 64	/* key files in a ring */

struct config {
	const char *keyfile[KEYS_MAX];
	int nkeys;
	const char *rejects;	/* -r: the rejects file, or NULL */
	int reversible;		/* --reversible: AES-SIV masks */
	int unmask;		/* --unmask */
	int key_id;		/* --key-id: print the keys' ids */
	int check;		/* --check: check the settings, read nothing */
	int null_app_version;	/* --null-app-version */
	int verbose;		/* -v: progress lines */
};

#endif

/*
 * ini: the AWS shared credentials and config files.
 *
 * The format is the one AWS's tools read: "[section]" headers, "key =
 * value" lines, whole-line comments starting with '#' or ';'.  A line
 * that starts with whitespace belongs to a nested block (such as
 * "s3 =" followed by indented settings) and is skipped.  Keys compare
 * without regard to case, section names exactly.  When a section or a
 * key repeats, the last value wins.  Nothing here allocates beyond the
 * caller's buffer, and no input makes it read outside text[0..len).
 */
#ifndef SQS_READ_INI_H
#define SQS_READ_INI_H

#include <stddef.h>

#include "buf.h"

/*
 * Looks key up in [section].  Returns 1 with the value (trimmed) in val,
 * replacing what val held; 0 if there is no such key; -1 if the value
 * does not fit val's cap.
 */
int ini_get(const char *text, size_t len, const char *section,
    const char *key, struct buf *val);

/* Whether [section] appears at all. */
int ini_has_section(const char *text, size_t len, const char *section);

/*
 * The section name of a profile: "NAME" in the credentials file;
 * "profile NAME" in the config file, except "default" which is
 * "default" there too.  Written to out (replacing its contents).
 */
int ini_profile_section(struct buf *out, const char *profile, int config_file);

#endif

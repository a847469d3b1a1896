/*
 * Fuzz target: lib's line reader.  The input is read through a pipe-like
 * file in reads of varying size, with a small line cap so over-long
 * lines are common.  Properties: no crash; every byte is accounted for
 * (lines, skipped long lines and newlines add up to the input); a line
 * returned holds exactly the input's bytes and no newline; memory stays
 * bounded by the cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lineread.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lineread lr;
	size_t max, off = 0, len;
	char *line;
	int fd, r;

	if (size < 1)
		return 0;
	max = 1 + data[0] % 64;
	data++;
	size--;
	if ((fd = memfd_create("lineread", 0)) == -1)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	lseek(fd, 0, SEEK_SET);
	if (lr_init(&lr, fd, max) == -1)
		abort();
	while ((r = lr_getline(&lr, &line, &len)) == LR_LINE || r == LR_LONG) {
		if (r == LR_LINE) {
			if (len > max || memcmp(line, data + off, len) != 0 ||
			    memchr(line, '\n', len) != NULL || line[len] != '\0')
				abort();
		} else if (len <= max) {
			abort();
		}
		off += len;
		if (off < size) {
			if (data[off] != '\n')
				abort();
			off++;
		}
	}
	if (r != LR_EOF || off != size || lr.cap > max + 4 * 65536)
		abort();
	lr_free(&lr);
	close(fd);
	return 0;
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The policy a host decides with: a file only root can have written (as
 * systemd's and sudo's checks of their configuration), signed by the
 * operator's key when one is installed next to it, and never older than
 * the newest signed policy this host accepted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "policy.h"
#include "policy-internal.h"

#define SYMLINKS_MAX 32
#define SEQUENCE_FILE_MAX 64


static bool owner_trusted(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A node on the way: owned by root (or the caller), writable by no one
 * else. A directory that others may write is accepted with the sticky bit
 * only (/tmp): no one but root and an entry's owner can then rename or
 * remove the entry, and the entry is checked in turn. */
static int check_node(const char *what, const char *path, const char *node, const struct stat *st)
{
	if (!owner_trusted(st->st_uid))
		return vt_log_errno(EPERM, "%s '%s': '%s' is owned by uid %u, not root", what, path,
					node[0] ? node : "/", (unsigned)st->st_uid);
	if (S_ISLNK(st->st_mode))
		return 0;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX)))
		return vt_log_errno(EPERM, "%s '%s': '%s' is writable by %s (mode %04o)", what, path,
					node[0] ? node : "/",
					(st->st_mode & S_IWOTH) ? "others" : "its group",
					(unsigned)(st->st_mode & 07777));
	return 0;
}

/* Moves the last component of node (the resolved path so far) out. */
static void node_up(char *node)
{
	char *slash = strrchr(node, '/');

	if (slash)
		*slash = '\0';
}

int policy_open_trusted(const char *what, const char *path, int *ret_fd)
{
	char todo[PATH_MAX], rest[PATH_MAX], node[PATH_MAX] = "", comp[NAME_MAX + 1], link[PATH_MAX];
	_cleanup_close_ int dfd = -1;
	unsigned links = 0;
	struct stat st;
	size_t pos = 0;
	int n;

	if (path[0] == '/') {
		n = snprintf(todo, sizeof(todo), "%s", path);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return vt_log_errno(errno, "%s '%s': cannot resolve: %s", what, path, strerror(errno));
		n = snprintf(todo, sizeof(todo), "%s/%s", cwd, path);
	}
	if (n < 0 || (size_t)n >= sizeof(todo))
		return vt_log_errno(ENAMETOOLONG, "%s '%s': the path is too long", what, path);
	dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0)
		return vt_log_errno(errno, "%s '%s': cannot open '/': %s", what, path, strerror(errno));
	n = check_node(what, path, "", &st);
	if (n < 0)
		return n;

	for (;;) {
		_cleanup_close_ int fd = -1;
		size_t len;
		bool last;

		while (todo[pos] == '/')
			pos++;
		len = strcspn(todo + pos, "/");
		if (len == 0)
			return vt_log_errno(EISDIR, "%s '%s': is a directory", what, path);
		if (len > NAME_MAX)
			return vt_log_errno(ENAMETOOLONG, "%s '%s': a name is too long", what, path);
		memcpy(comp, todo + pos, len);
		comp[len] = '\0';
		pos += len;
		last = todo[pos + strspn(todo + pos, "/")] == '\0';
		if (strcmp(comp, ".") == 0 && !last)
			continue;

		fd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0)
			return vt_log_errno(errno, "%s '%s': cannot open '%s/%s': %s", what, path, node, comp,
						strerror(errno));
		if (strcmp(comp, "..") == 0)
			node_up(node);
		else if (strcmp(comp, ".") != 0 && strlen(node) + 1 + len < sizeof(node))
			strcat(strcat(node, "/"), comp);
		n = check_node(what, path, node, &st);
		if (n < 0)
			return n;

		if (S_ISLNK(st.st_mode)) {
			ssize_t l;
			int k;

			if (++links > SYMLINKS_MAX)
				return vt_log_errno(ELOOP, "%s '%s': too many symbolic links", what, path);
			l = readlinkat(fd, "", link, sizeof(link) - 1);
			if (l < 0)
				return vt_log_errno(errno, "%s '%s': cannot read link '%s': %s", what, path,
							node, strerror(errno));
			link[l] = '\0';
			node_up(node);
			k = snprintf(rest, sizeof(rest), "%s/%s", link, todo + pos);
			if (k < 0 || (size_t)k >= sizeof(rest))
				return vt_log_errno(ENAMETOOLONG, "%s '%s': the path is too long", what, path);
			memcpy(todo, rest, (size_t)k + 1);
			pos = 0;
			if (link[0] == '/') {
				vt_closep(&dfd);
				dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (dfd < 0)
					return vt_log_errno(errno, "%s '%s': cannot open '/': %s", what, path,
								strerror(errno));
				node[0] = '\0';
			}
			continue;
		}
		if (!last) {
			if (!S_ISDIR(st.st_mode))
				return vt_log_errno(ENOTDIR, "%s '%s': '%s' is not a directory", what, path, node);
			vt_closep(&dfd);
			dfd = TAKE_FD(fd);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			return vt_log_errno(EINVAL, "%s '%s': not a regular file", what, path);

		/* The node checked is the file opened: the same inode, no link followed. */
		{
			_cleanup_close_ int rfd = -1;
			struct stat rst;

			rfd = openat(dfd, comp, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
			if (rfd < 0 || fstat(rfd, &rst) < 0)
				return vt_log_errno(errno, "%s '%s': cannot open: %s", what, path, strerror(errno));
			if (rst.st_dev != st.st_dev || rst.st_ino != st.st_ino)
				return vt_log_errno(EAGAIN, "%s '%s': replaced while it was checked", what, path);
			*ret_fd = TAKE_FD(rfd);
			return 0;
		}
	}
}

/* STATE_DIR/policy-sequence: the highest sequence of a signed policy this
 * host accepted, in decimal. The state directory is locked (flock) around
 * reading and raising it, so two decisions never lower it. */
static int sequence_check(const char *path, const char *state_dir, uint64_t seq)
{
	_cleanup_(freep) char *file = NULL, *text = NULL;
	_cleanup_close_ int dfd = -1;
	uint64_t high = 0;
	size_t len;
	int r;

	if (!state_dir)
		return vt_log_errno(EINVAL, "policy '%s': no state directory to keep its sequence in", path);
	r = vt_state_path(state_dir, VT_STATE_POLICY_SEQUENCE, &file);
	if (r < 0)
		return r;
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST)
		return vt_log_errno(errno, "policy '%s': cannot create the state directory '%s': %s", path,
					state_dir, strerror(errno));
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vt_log_errno(errno, "policy '%s': cannot open the state directory '%s': %s", path,
					state_dir, strerror(errno));
	while (flock(dfd, LOCK_EX) < 0)
		if (errno != EINTR)
			return vt_log_errno(errno, "policy '%s': cannot lock '%s': %s", path, state_dir,
						strerror(errno));
	if (access(file, F_OK) == 0 || errno != ENOENT) {
		char *end;

		r = vt_read_file(file, SEQUENCE_FILE_MAX, &text, &len);
		if (r < 0)
			return r;
		errno = 0;
		high = strtoull(text, &end, 10);
		if (errno || end == text || text[0] < '0' || text[0] > '9' || strcmp(end, "\n") != 0)
			return vt_log_errno(EBADMSG, "policy '%s': '%s' does not hold a sequence number", path,
						file);
	}
	if (seq < high)
		return vt_log_errno(ESTALE,
					"policy '%s': sequence %llu is older than %llu, the newest this host "
					"accepted: refusing a rollback",
					path, (unsigned long long)seq, (unsigned long long)high);
	if (seq == high && text)
		return 0;
	free(text);
	if (asprintf(&text, "%llu\n", (unsigned long long)seq) < 0) {
		text = NULL;
		return -ENOMEM;
	}
	return vt_write_file_atomic(file, text, strlen(text), 0600);
}

int policy_load_trusted(const char *path, const char *state_dir, struct policy **ret, char ret_id[65])
{
	_cleanup_(freep) char *data = NULL, *key_path = NULL, *pem = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *pkey = NULL;
	_cleanup_(policy_freep) struct policy *p = NULL;
	_cleanup_close_ int fd = -1, kfd = -1;
	uint8_t md[32];
	struct stat st;
	size_t len, pem_len;
	int r;

	r = policy_open_trusted("policy", path, &fd);
	if (r < 0)
		return r;
	r = vt_read_fd(fd, path, POLICY_FILE_MAX, &data, &len);
	if (r < 0)
		return r;
	r = policy_key_path(path, &key_path);
	if (r < 0)
		return r;
	if (lstat(key_path, &st) < 0 && errno == ENOENT) {
		r = policy_load_buffer(path, data, len, &p);
		if (r < 0)
			return r;
	} else {
		r = policy_open_trusted("policy key", key_path, &kfd);
		if (r < 0)
			return r;
		r = vt_read_fd(kfd, key_path, POLICY_KEY_FILE_MAX, &pem, &pem_len);
		if (r < 0)
			return r;
		r = policy_public_key_from_pem(key_path, pem, pem_len, (void **)&pkey);
		if (r < 0)
			return r;
		r = policy_verify_detached(path, data, len, NULL, pkey, key_path);
		if (r < 0)
			return r;
		r = policy_load_buffer(path, data, len, &p);
		if (r < 0)
			return r;
		r = sequence_check(path, state_dir, policy_sequence(p));
		if (r < 0)
			return r;
		vt_logf(VT_LOG_DEBUG, "policy '%s': signed by '%s', sequence %llu", path, key_path,
			    (unsigned long long)policy_sequence(p));
	}
	if (ret_id) {
		if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
			return -ENOTRECOVERABLE;
		vt_hex_encode(md, sizeof(md), ret_id);
	}
	*ret = TAKE_PTR(p);
	return 0;
}

int policy_key_path(const char *policy_path, char **ret)
{
	const char *slash = strrchr(policy_path, '/');
	char *s;
	int n;

	if (!slash)
		n = asprintf(&s, "%s", POLICY_KEY_NAME);
	else
		n = asprintf(&s, "%.*s/%s", (int)(slash - policy_path), policy_path, POLICY_KEY_NAME);
	if (n < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

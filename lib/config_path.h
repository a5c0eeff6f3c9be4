/*
 * config_path.h - the file name arithmetic of configurations.
 *
 * A configuration names scripts, plugins and model files relative to the
 * folder it lives in, so that a configuration and its files can be moved
 * together. These helpers turn such names into paths that stay valid
 * whatever the current directory is later (a daemon may change it), and are
 * shared by the configuration loader and gloss_opts_path().
 */
#ifndef GLOSS_CONFIG_PATH_H
#define GLOSS_CONFIG_PATH_H

/* Whether name starts at the root ("/..."). */
int gloss__path_is_absolute(const char *name);

/* Returns name when it is absolute or dir is NULL, dir/name otherwise, in
 * a new string (free() it). Returns NULL on ENOMEM. */
char *gloss__path_join(const char *dir, const char *name);

/* Returns the absolute form of folder (taken relative to the current
 * directory when it is relative; NULL means the current directory itself),
 * or NULL with errno set. */
char *gloss__path_absolute(const char *folder);

/* Returns the absolute folder that holds the file at path, or NULL with
 * errno set. */
char *gloss__path_parent(const char *path);

/* Returns the last component of path without the suffix ext (when path
 * ends with it), in a new string; NULL on ENOMEM. */
char *gloss__path_stem(const char *path, const char *ext);

/* Whether path names an existing file that is not a folder. */
int gloss__path_is_file(const char *path);

#endif

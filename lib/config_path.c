/*
 * config_path.c - file name arithmetic for configurations (see
 * config_path.h).
 *
 * Only the text of names is handled here: nothing resolves symbolic links
 * or "..", because a user who writes "../models/x.bin" means that path and
 * should see it in messages as written. Leading "./" components are dropped
 * so that joined names read naturally ("/etc/gloss/x.lua", not
 * "/etc/gloss/./x.lua").
 */
#include "config_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int gloss__path_is_absolute(const char *name)
{
    return name[0] == '/';
}

/* Skips "./" prefixes, which say nothing when a folder is put in front. */
static const char *skip_dot_slash(const char *name)
{
    while (name[0] == '.' && name[1] == '/') {
        name += 2;
        while (*name == '/')
            name++;
    }
    return name;
}

char *gloss__path_join(const char *dir, const char *name)
{
    if (!dir || !*dir || gloss__path_is_absolute(name))
        return strdup(name);
    name = skip_dot_slash(name);
    if (strcmp(name, ".") == 0)
        name = "";
    size_t dlen = strlen(dir), nlen = strlen(name);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    int slash = nlen > 0 && dir[dlen - 1] != '/';
    char *out = malloc(dlen + (size_t)slash + nlen + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dlen);
    if (slash)
        out[dlen] = '/';
    memcpy(out + dlen + (size_t)slash, name, nlen + 1);
    return out;
}

/* The current directory in a new string; getcwd() needs a buffer large
 * enough, which is found by doubling. */
static char *current_dir(void)
{
    size_t cap = 256;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return NULL;
        if (getcwd(buf, cap))
            return buf;
        int e = errno;
        free(buf);
        if (e != ERANGE || cap > 65536) {
            errno = e;
            return NULL;
        }
        cap *= 2;
    }
}

char *gloss__path_absolute(const char *folder)
{
    if (folder && gloss__path_is_absolute(folder))
        return gloss__path_join(NULL, folder);
    char *cwd = current_dir();
    if (!cwd || !folder)
        return cwd;
    char *out = gloss__path_join(cwd, folder);
    free(cwd);
    if (!out)
        errno = ENOMEM;
    return out;
}

char *gloss__path_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return gloss__path_absolute(NULL);
    if (slash == path)
        return strdup("/");
    size_t len = (size_t)(slash - path);
    char *folder = malloc(len + 1);
    if (!folder)
        return NULL;
    memcpy(folder, path, len);
    folder[len] = '\0';
    char *out = gloss__path_absolute(folder);
    free(folder);
    return out;
}

char *gloss__path_stem(const char *path, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(base), elen = strlen(ext);
    if (len > elen && strcmp(base + len - elen, ext) == 0)
        len -= elen;
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    memcpy(out, base, len);
    out[len] = '\0';
    return out;
}

int gloss__path_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

/*
 * plugin.c - loading external C stages from shared objects.
 *
 * A plugin is opened with RTLD_NOW, so an unresolved symbol (a call into an
 * API this engine does not have) fails at load time with the linker's
 * message rather than later in the middle of a document, and RTLD_LOCAL, so
 * two plugins never see each other's symbols. The descriptor's abi field is
 * read before anything else in it: a plugin built against another layout is
 * refused without touching the fields whose places it may have moved.
 */
#include "registry.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

struct gloss__plugin {
    void *handle;
    const gloss_stage_desc *desc;
};

gloss__plugin *gloss__plugin_open(const char *path, char *err, size_t errlen)
{
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(err, errlen, "%s: cannot load plugin: %s", path,
                 why ? why : "unknown error");
        return NULL;
    }
    dlerror();
    const gloss_stage_desc *desc = dlsym(handle, GLOSS_STAGE_SYMBOL);
    if (!desc) {
        snprintf(err, errlen,
                 "%s: missing symbol '%s': a gloss plugin exports its "
                 "descriptor with GLOSS_STAGE_EXPORT (see gloss/stage.h)",
                 path, GLOSS_STAGE_SYMBOL);
        dlclose(handle);
        return NULL;
    }
    if (desc->abi != GLOSS_STAGE_ABI) {
        snprintf(err, errlen,
                 "%s: stage ABI version %u, expected %u: rebuild the plugin "
                 "against this version of gloss",
                 path, (unsigned)desc->abi, (unsigned)GLOSS_STAGE_ABI);
        dlclose(handle);
        return NULL;
    }
    if (!desc->name || !*desc->name || !desc->process) {
        snprintf(err, errlen, "%s: descriptor '%s' has no %s", path,
                 GLOSS_STAGE_SYMBOL,
                 (!desc->name || !*desc->name) ? "name" : "process callback");
        dlclose(handle);
        return NULL;
    }
    gloss__plugin *plugin = malloc(sizeof(*plugin));
    if (!plugin) {
        snprintf(err, errlen, "%s: out of memory", path);
        dlclose(handle);
        return NULL;
    }
    plugin->handle = handle;
    plugin->desc = desc;
    return plugin;
}

const gloss_stage_desc *gloss__plugin_desc(const gloss__plugin *plugin)
{
    return plugin->desc;
}

void gloss__plugin_close(gloss__plugin **pluginp)
{
    if (!pluginp || !*pluginp)
        return;
    dlclose((*pluginp)->handle);
    free(*pluginp);
    *pluginp = NULL;
}

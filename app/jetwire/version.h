/* jetwire's version string (jetwire --version, /jetwire/info). */
#ifndef JW_APP_VERSION_H
#define JW_APP_VERSION_H

#ifndef JETWIRE_VERSION
#define JETWIRE_VERSION "0.1"
#endif

#endif /* JW_APP_VERSION_H */

"""Content negotiation for the published site: the rules written beside the pages.

Without them a plain static host serves the HTML page for an IRI (see ``kg.site.layout``). With
them, a client asking for ``text/turtle`` or ``application/ld+json`` gets the node's RDF file for
the same IRI; everything else (browsers) still gets the page. Turtle wins when both are accepted.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def _prefix(site_url: str) -> str:
    path = urlsplit(site_url).path or "/"
    return path if path.endswith("/") else path + "/"


def nginx_conf(site_url: str, base: str) -> str:
    """A ``location`` block to include in nginx's ``server { }`` whose ``root`` holds the site at
    the site URL's path."""
    prefix = _prefix(site_url)
    return f"""# kg site: content negotiation for nginx. Include this file inside the server {{ }} block
# whose root holds the site at {prefix} (for example: include /path/to/nginx-kg.conf;).
# Accept: text/turtle -> <IRI>.ttl, Accept: application/ld+json -> <IRI>.jsonld, else the HTML page
# <IRI>/index.html. IRI base: {base}
# The Accept header is read at server level (an "if" inside the location would take the request out
# of its try_files). The types block replaces the inherited MIME types inside the location, so the
# usual ones are included again (the path of Debian's nginx; adjust if yours differs).
set $kg_rdf "";
if ($http_accept ~* "application/ld\\+json") {{
    set $kg_rdf ".jsonld";
}}
if ($http_accept ~* "text/turtle") {{
    set $kg_rdf ".ttl";
}}
location ^~ {prefix} {{
    include /etc/nginx/mime.types;
    types {{
        text/turtle ttl;
        application/ld+json jsonld;
    }}
    add_header Vary Accept;
    index index.html;
    try_files $uri$kg_rdf $uri/index$kg_rdf $uri $uri/ =404;
}}
"""


def htaccess(site_url: str, base: str) -> str:
    """An ``.htaccess`` for the site's root folder on Apache (needs mod_rewrite; AllowOverride)."""
    prefix = _prefix(site_url)
    return f"""# kg site: content negotiation for Apache (mod_rewrite, mod_headers; AllowOverride FileInfo).
# Accept: text/turtle -> <IRI>.ttl, Accept: application/ld+json -> <IRI>.jsonld, else the HTML page
# <IRI>/index.html. IRI base: {base}
AddType text/turtle .ttl
AddType application/ld+json .jsonld
DirectoryIndex index.html
<IfModule mod_rewrite.c>
RewriteEngine On
RewriteBase {prefix}
# (the file name without a trailing slash: the IRI's folder holds the page, the RDF is beside it)
RewriteCond %{{HTTP_ACCEPT}} text/turtle
RewriteCond %{{REQUEST_FILENAME}} ^(.+?)/?$
RewriteCond %1.ttl -f
RewriteRule ^(.+?)/?$ $1.ttl [L]
RewriteCond %{{HTTP_ACCEPT}} application/ld\\+json
RewriteCond %{{REQUEST_FILENAME}} ^(.+?)/?$
RewriteCond %1.jsonld -f
RewriteRule ^(.+?)/?$ $1.jsonld [L]
</IfModule>
<IfModule mod_headers.c>
Header append Vary Accept
</IfModule>
"""

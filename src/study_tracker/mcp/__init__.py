"""The MCP server (``study mcp``): the knowledge base and the tracker as Model Context Protocol tools.

``schemas`` holds the tools' inputs (the JSON API's bounds), ``tools`` what each tool does (plain
service calls, no protocol), ``server`` the protocol over stdio with the official SDK, which is
imported only when the server starts.
"""

from polytomic_mcp.cli import main

raise SystemExit(main())

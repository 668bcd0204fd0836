"""The 便民服务卡 keeps no rows of its own: a card is read from the registry (the household's building), the
area tree (grid, community and its ``Area.hotline``) and the grid worker's post (``Post.work_phone``)."""
